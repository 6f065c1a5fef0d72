import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, map } from 'rxjs';

/**
 * Sets the status of a POST that an Idempotency-Key may replay: the service says whether it made
 * something (`created`) and this answers `createdStatus` or 200, so the controller stays a one-liner.
 */
abstract class StatusByCreation<T extends { created: boolean }> implements NestInterceptor {
  protected abstract readonly createdStatus: number;
  protected abstract body(value: T): unknown;

  intercept(context: ExecutionContext, next: CallHandler<T>): Observable<unknown> {
    return next.handle().pipe(
      map((value) => {
        context
          .switchToHttp()
          .getResponse<{ status(code: number): unknown }>()
          .status(value.created ? this.createdStatus : 200);
        return this.body(value);
      }),
    );
  }
}

/** `POST /api/tasks`: 201 for a new task, 200 when an Idempotency-Key replays one. */
@Injectable()
export class CreatedOrReplayedInterceptor extends StatusByCreation<{ task: unknown; created: boolean }> {
  protected readonly createdStatus = 201;
  protected body(value: { task: unknown }): unknown {
    return value.task;
  }
}

/** `POST /api/tasks/{id}/messages`: 202 for a message queued, 200 when an Idempotency-Key replays one. */
@Injectable()
export class AcceptedOrReplayedInterceptor extends StatusByCreation<{ message: unknown; created: boolean }> {
  protected readonly createdStatus = 202;
  protected body(value: { message: unknown }): unknown {
    return value.message;
  }
}
