import { Module } from '@nestjs/common';
import { SseModule } from '@heddle/platform';
import { EventNotifications } from './event-notifications';
import { EventStreamController } from './event-stream.controller';
import { EventStreamRepository } from './event-stream.repository';
import { EventStreamService } from './event-stream.service';
import { EventsController } from './events.controller';
import { EventsReader } from './events.reader';
import { EventsRepository } from './events.repository';
import { EventsWriter } from './events.writer';

@Module({
  providers: [
    EventsRepository,
    EventsWriter,
    EventsReader,
    EventNotifications,
    EventStreamRepository,
    EventStreamService,
  ],
  exports: [EventsWriter, EventsReader, EventsRepository, EventNotifications, EventStreamService],
})
export class EventsModule {}

@Module({ imports: [EventsModule, SseModule], controllers: [EventsController, EventStreamController] })
export class EventsApiModule {}
