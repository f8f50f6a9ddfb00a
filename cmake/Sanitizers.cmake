# SATH_SANITIZE=ON builds every target with AddressSanitizer and UndefinedBehaviorSanitizer
# (scripts/test runs the suite a second time this way).
option(SATH_SANITIZE "Build with ASan + UBSan" OFF)
if(SATH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
