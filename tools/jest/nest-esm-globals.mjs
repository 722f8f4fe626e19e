// Loaded before each test file: see nest-esm-interop.cjs for why.
globalThis.__codexflowNestModules = {
  '@nestjs/common': await import('@nestjs/common'),
  '@nestjs/core': await import('@nestjs/core'),
};
