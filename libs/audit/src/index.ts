export { AuditModule } from './audit.module';
export { AuditService } from './audit.service';
export type { AuditEntryInput, AuditEntryView } from './audit.service';
