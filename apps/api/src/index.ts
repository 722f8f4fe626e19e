export { AppModule } from './app.module.js';
export { createApp, type CreateAppOptions, type OptionalPart } from './bootstrap.js';
