export { GdprModule } from './gdpr.module.js';
export { GdprService, type PurgeReport } from './gdpr.service.js';
