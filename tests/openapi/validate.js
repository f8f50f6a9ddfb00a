// validate.js - validates an OpenAPI document with @apidevtools/swagger-parser
// (JSON-schema validation of OpenAPI 3.0 plus its semantic checks: unique
// operationIds, path parameters declared, $refs resolving).
//
// Usage: node validate.js <node_modules dir> <openapi.json>
// Also validates a deliberately broken copy and fails if that one passes, so a
// validator that accepts anything cannot make this test pass.
"use strict";
const path = require("path");
const fs = require("fs");
const [modules, spec] = process.argv.slice(2);
const SwaggerParser = require(path.resolve(modules, "@apidevtools/swagger-parser"));

async function main() {
  const api = await SwaggerParser.validate(spec);
  let ops = 0;
  for (const item of Object.values(api.paths)) ops += Object.keys(item).length;
  console.log(`valid: ${api.openapi} "${api.info.title}" ${api.info.version}, ${ops} operations`);

  const broken = JSON.parse(fs.readFileSync(spec, "utf8"));
  const first = Object.values(broken.paths)[0];
  first[Object.keys(first)[0]].responses = "not an object";
  try {
    await SwaggerParser.validate(broken);
  } catch (e) {
    console.log("broken copy rejected as expected: " + e.message.split("\n")[0]);
    return;
  }
  throw new Error("the validator accepted a broken document");
}

main().catch((e) => {
  console.error("OpenAPI validation FAILED: " + e.message);
  process.exit(1);
});
