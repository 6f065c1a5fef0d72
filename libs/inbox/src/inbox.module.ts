import { Module } from '@nestjs/common';
import { TasksModule } from '@heddle/tasks';
import { InboxController } from './inbox.controller';
import { InboxWatcher } from './inbox-watcher';
import { InboxService } from './inbox.service';

/** Documents → tasks through TasksService. No routes, no consumers. */
@Module({ imports: [TasksModule], providers: [InboxService], exports: [InboxService] })
export class InboxModule {}

/** `POST /api/inbox`. */
@Module({ imports: [InboxModule], controllers: [InboxController] })
export class InboxApiModule {}

/** The `inbox` consumer: the watched directory (INBOX_DIR; does nothing when unset). */
@Module({ imports: [InboxModule, TasksModule], providers: [InboxWatcher] })
export class InboxWorkerModule {}
