export { AppModule } from './app.module.js';
export { createApp } from './bootstrap.js';
