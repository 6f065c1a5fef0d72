import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, map } from 'rxjs';

/**
 * `POST /api/tasks` answers 201 for a new task and 200 when an Idempotency-Key replays one: the
 * service says which, this sets the status, so the controller stays a one-liner.
 */
@Injectable()
export class CreatedOrReplayedInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler<{ task: unknown; created: boolean }>): Observable<unknown> {
    return next.handle().pipe(
      map(({ task, created }) => {
        context
          .switchToHttp()
          .getResponse<{ status(code: number): unknown }>()
          .status(created ? 201 : 200);
        return task;
      }),
    );
  }
}
