export { AuditEvent } from './audit-event.schema.js';
export { AuditModule, HttpAuditModule } from './audit.module.js';
export { AuditTrail, type ChainVerification } from './audit-trail.service.js';
export { personalDigest } from './audit-chain.js';
