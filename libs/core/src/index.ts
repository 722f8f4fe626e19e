export {
  type AppConfig,
  ConfigValidationError,
  loadConfig,
  type RateLimitRule,
} from './config/app-config.js';
export { APP_CONFIG } from './config/config.module.js';
export { CoreModule } from './core.module.js';
export { DatabaseServer } from './database/database.module.js';
export { EmbeddedDatabase, prepareEmbeddedDatabase } from './database/embedded-database.js';
export { EmbeddedDatabaseUnavailableError } from './database/ferretdb-binary.js';
export { configureHttpPipeline, DOCS_CONTENT_SECURITY_POLICY } from './http/http-pipeline.js';
export {
  type FieldError,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  ProblemException,
  ValidationFailedException,
} from './http/problem-details.js';
export { REQUEST_ID_HEADER, type RequestWithId } from './http/request-id.js';
export { routePatternOf } from './http/route-tag.interceptor.js';
export { maskEmail, maskLogValue, maskText } from './logging/mask.js';
export { CursorCodec, type CursorPosition } from './pagination/cursor-codec.js';
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type Page,
  PageQueryDto,
} from './pagination/pagination.js';
export { type SecretKey, SecretKeyRing } from './security/secret-key-ring.js';
export {
  generatePublicId,
  isPublicId,
  PUBLIC_ID_PREFIXES,
  type PublicIdPrefix,
  PublicIdPipe,
} from './http/public-id.js';
export { hardenHttpServer } from './http/client-errors.js';
export { EncryptedValueError, FieldCipher } from './security/field-cipher.js';
export { isDuplicateKeyError, OnceClaims } from './database/claims.js';
export { Optional } from './http/optional.js';
export { KeyedMutex } from './security/keyed-mutex.js';
export {
  Idempotent,
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyStore,
  type StoredResponse,
} from './http/idempotency.js';
export {
  AcceptsMultipart,
  type IncomingFile,
  receiveSingleFile,
  type SingleFileUpload,
} from './http/multipart.js';
export {
  type AuditDetails,
  type AuditedEvent,
  type AuditInput,
  AuditRecorder,
  type AuditResult,
  type RecordOptions,
} from './audit/audit-recorder.js';
export { AuditFeed, type AuditListener } from './audit/audit-feed.js';
export {
  type FinishedResponse,
  HttpTraffic,
  type RequestGate,
  type ResponseObserver,
} from './http/http-traffic.js';
export {
  contextOfRequest,
  currentRequestContext,
  noteRateLimited,
  type RequestContext,
  requestContextOf,
} from './http/request-context.js';
export { auditResourceId, type RouteAction, routeAction } from './audit/route-action.js';
export { canonicalJson } from './security/canonical-json.js';
export { isWellFormedText } from './http/validation.pipe.js';
export {
  type ErasureSubject,
  type PersonalDataSection,
  PersonalDataRegistry,
  type RetentionTask,
} from './personal-data/personal-data-registry.js';
export { ShutdownState } from './http/shutdown-state.js';
export {
  type ExpiringSet,
  failClosed,
  type MemberListener,
  SharedState,
  sharedStateUnavailable,
} from './shared-state/shared-state.js';
export { ExpiringMembers } from './shared-state/expiring-members.js';
export { InMemorySharedState } from './shared-state/in-memory-shared-state.js';
export { RedisSharedState } from './shared-state/redis-shared-state.js';
export {
  InMemoryWindowCounter,
  type WindowCount,
  WindowCounter,
} from './shared-state/window-counter.js';
export {
  AUTH_RATE_LIMITED,
  AuthRateLimited,
  ExemptFromUserQuota,
  NotRateLimited,
  THROTTLERS,
} from './rate-limits/rate-limit.decorators.js';
export { RateLimitGuard, UserQuotaGuard } from './rate-limits/rate-limit.guard.js';
export { RateLimits } from './rate-limits/rate-limits.js';
