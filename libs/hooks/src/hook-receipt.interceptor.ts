import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, map } from 'rxjs';
import type { HookReceipt } from './dto/hook-source.dto';

const STATUS: Record<HookReceipt['status'], number> = { created: 201, replayed: 200, ignored: 202 };

/** The hook route's status from its receipt: 201 created, 200 replayed, 202 ignored. */
@Injectable()
export class HookReceiptInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler<HookReceipt>): Observable<HookReceipt> {
    return next.handle().pipe(
      map((receipt) => {
        context.switchToHttp().getResponse<{ status(code: number): unknown }>().status(STATUS[receipt.status]);
        return receipt;
      }),
    );
  }
}
