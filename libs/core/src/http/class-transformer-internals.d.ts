// Types for the class-transformer 0.5.1 modules that its index does not export. The package
// has no "exports" map, so Node loads its CommonJS build both for `class-transformer` and for
// these paths, and they are the module instances that the decorators write to.
declare module 'class-transformer/cjs/storage.js' {
  import type { MetadataStorage } from 'class-transformer/types/MetadataStorage.js';

  export const defaultMetadataStorage: MetadataStorage;
}

declare module 'class-transformer/cjs/constants/default-options.constant.js' {
  import type { ClassTransformOptions } from 'class-transformer';

  export const defaultOptions: Partial<ClassTransformOptions>;
}
