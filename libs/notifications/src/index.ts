export { NotificationsModule, NotifyWorkerModule, SinksApiModule } from './notifications.module';
export { SinksService } from './sinks.service';
export { SinkPort } from './sink-port';
export { SINK_KINDS } from './sink-kinds';
export type { SinkKind } from './sink-kinds';
export { readableLine, eventLink, slackBody, discordBody } from './sink-message';
export { fileSinkName, confinedPath, writeConfinedFile, FileSinkRefusedError } from './file-sink';
export { redactUrl, toSinkResponse } from './sink-view';
export type { SinkResponseDto } from './dto/sink.dto';
