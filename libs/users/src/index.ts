export { AccountLifecycle } from './account-lifecycle.js';
export {
  EMAIL_MAX_LENGTH,
  IsAccountEmail,
  IsPersonName,
  NAME_MAX_LENGTH,
  toUserResponse,
  UserResponseDto,
} from './user.dto.js';
export { User, USER_STATUSES, type UserStatus } from './user.schema.js';
export { UsersModule } from './users.module.js';
export { normaliseEmail, type NewUser, UsersService } from './users.service.js';
