import { Module } from '@nestjs/common';
import { ClockModule } from '@heddle/common';
import { EventsModule } from '@heddle/events';
import { HostsModule } from '@heddle/hosts';
import { OutboundModule } from '@heddle/outbound';
import { PermissionsModule } from '@heddle/permissions';
import { TasksModule } from '@heddle/tasks';
import { HarnessRepository } from './harness.repository';
import { HostEventWatcher } from './host-event-watcher';
import { DispatchStep } from './dispatch-step';
import { SessionLook } from './session-look';
import { TaskDriver } from './task-driver';
import { TaskEndings } from './task-endings';
import { TurnReader } from './turn-reader';
import { TurnRunner } from './turn-runner';
import { UserActions } from './user-actions';
import { Verification } from './verification';
import { HarnessSweepSchedule, TaskStepProcessor } from './task-step.processor';

/** The `harness` consumer: dispatch, watch, verify (see README.md). */
@Module({
  imports: [EventsModule, HostsModule, OutboundModule, ClockModule, TasksModule, PermissionsModule],
  providers: [
    HarnessRepository,
    TaskEndings,
    TurnReader,
    TurnRunner,
    SessionLook,
    Verification,
    DispatchStep,
    UserActions,
    TaskDriver,
    TaskStepProcessor,
    HarnessSweepSchedule,
    HostEventWatcher,
  ],
})
export class HarnessWorkerModule {}
