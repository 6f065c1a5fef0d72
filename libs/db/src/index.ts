export { DbModule } from './db.module';
export { PrismaService } from './prisma.service';
export { isUniqueViolation, mapPrismaError } from './prisma-errors';
export { InjectTransactionHost, Transactional, TransactionHost } from './transaction';
export type { TxHost, PrismaAdapter } from './transaction';
export { Prisma } from './generated/client';
export type {
  Team,
  ApiToken,
  AuditLog,
  Event,
  Host,
  Task,
  Turn,
  CheckRun,
  RelayCursor,
  WebhookEndpoint,
  Sink,
  Delivery,
  DeliveryAttempt,
  PermissionRequest,
  QuestionRequest,
  TaskMessage,
  User,
  Membership,
  Invite,
  Session,
  HookSource,
  HookDelivery,
} from './generated/client';
