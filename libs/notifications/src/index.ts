export { NotifyWorkerModule, SinksApiModule } from './notifications.module';
