// Anchors the unit tests' precompiled header (tests/CMakeLists.txt, AUTOLRS_TEST_PCH).
