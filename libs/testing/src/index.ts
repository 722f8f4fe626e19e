export {
  builtEntryPoint,
  runBuiltEntryPoint,
  type ServiceProcess,
  startServiceProcess,
} from './service-process.js';
export { MessageWaiter, type MessageWaiterWording } from './message-waiter.js';
export { createTempDir, type TempDir } from './temp-dir.js';
export { createTestApp, type TestApp, type TestAppOptions } from './test-app.js';
export { type MailMatch, type ReceivedMail, type SmtpSink, startSmtpSink } from './smtp-sink.js';
export {
  type ReceivedSms,
  type SmsMatch,
  type SmsReceiver,
  startSmsReceiver,
} from './sms-receiver.js';
export { type RedisServer, startRedisServer } from './redis-server.js';
