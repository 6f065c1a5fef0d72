import { Body, Controller, Headers, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@heddle/common';
import { RawBody } from '@heddle/platform';
import type { HookReceipt } from './dto/hook-source.dto';
import { HookReceiptInterceptor } from './hook-receipt.interceptor';
import { HookHeaders, HooksService } from './hooks.service';

/**
 * `POST /api/hooks/{source}`: public (no bearer token); each source authenticates its sender with a
 * signature or token (docs/hooks.md). Outside the OpenAPI document, like the other public routes.
 * 201 created, 200 replayed (a redelivery), 202 ignored.
 */
@ApiExcludeController()
@Controller('api/hooks')
export class HooksController {
  constructor(private readonly hooks: HooksService) {}

  @Post(':source')
  @Public()
  @HttpCode(201)
  @UseInterceptors(HookReceiptInterceptor)
  receive(
    @Param('source') source: string,
    @Headers() headers: HookHeaders,
    @RawBody() raw: Buffer | undefined,
    @Body() payload: unknown,
  ): Promise<HookReceipt> {
    return this.hooks.receive(source, headers, raw, payload);
  }
}
