"""fastapi_app.py - the original platform's stack for GET /api/v1/users/me, as the
benchmark's REST reference (scripts/bench): FastAPI + uvicorn (2 workers) + asyncpg +
python-jose, all from Debian 12's packages (python3-fastapi, python3-uvicorn,
python3-asyncpg, python3-jose).

What it does per request is what the FastAPI sketch did (docs in shared/seed): verify
the HS256 access token with python-jose, read the user's row by id with asyncpg, answer
JSON.  It makes one backend round trip (PostgreSQL) and checks no revocation, so it does
less than sathd's GetMe did before the auth caches.

Run: REF_DATABASE_URL=postgresql://... REF_JWT_SECRET=... \
     python3 -m uvicorn fastapi_app:app --workers 2 --host 127.0.0.1 --port P
"""
import os

import asyncpg
from fastapi import FastAPI, Header, HTTPException
from jose import JWTError, jwt

SECRET = os.environ["REF_JWT_SECRET"]
DSN = os.environ["REF_DATABASE_URL"]

app = FastAPI()

QUERY = (
    "SELECT u.id::text AS id, u.email, u.name, u.is_active, p.name AS plan, "
    "u.created_at, u.updated_at FROM users u JOIN plans p ON p.id = u.plan_id "
    "WHERE u.id = $1::uuid AND u.is_active"
)


@app.on_event("startup")
async def startup():
    app.state.pool = await asyncpg.create_pool(DSN, min_size=2, max_size=10)


@app.get("/api/v1/users/me")
async def me(authorization: str = Header(None)):
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401, detail="not authenticated")
    try:
        claims = jwt.decode(authorization[7:], SECRET, algorithms=["HS256"],
                            audience="sath-api")
    except JWTError:
        raise HTTPException(status_code=401, detail="invalid token")
    row = await app.state.pool.fetchrow(QUERY, claims["sub"])
    if row is None:
        raise HTTPException(status_code=404, detail="account not found")
    return {
        "id": row["id"], "email": row["email"], "name": row["name"],
        "is_active": row["is_active"], "plan": row["plan"],
        "created_at": row["created_at"].isoformat(), "updated_at": row["updated_at"].isoformat(),
    }
