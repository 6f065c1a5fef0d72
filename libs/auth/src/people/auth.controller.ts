import {
  CallHandler,
  Controller,
  ExecutionContext,
  Get,
  Headers,
  HttpCode,
  Injectable,
  NestInterceptor,
  Post,
  Query,
  Redirect,
  UseInterceptors,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Observable, map } from 'rxjs';
import { Public, SESSION_COOKIE, parseCookies } from '@heddle/common';
import { CSRF_HEADER, LOGIN_STATE_COOKIE } from '../session-cookie';
import { LoginService } from './login.service';
import { SessionsService } from './sessions.service';

/** What a browser route answers besides its status: cookies to set and, for a redirect, where to. */
export interface BrowserAnswer {
  cookies: string[];
  location?: string;
}

/**
 * Applies a BrowserAnswer: `Set-Cookie` headers, and for @Redirect() routes the `{ url }` Nest
 * redirects to. Keeps the controller free of the HTTP adapter's types (CONVENTIONS C15).
 */
@Injectable()
export class BrowserAnswerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler<BrowserAnswer>): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<{ header(name: string, value: string[]): unknown }>();
    return next.handle().pipe(
      map((answer) => {
        reply.header('set-cookie', answer.cookies);
        reply.header('cache-control', ['no-store']);
        return answer.location !== undefined ? { url: answer.location, statusCode: 303 } : undefined;
      }),
    );
  }
}

/**
 * The browser side of login (OIDC authorization code + PKCE). Not in the OpenAPI document: these
 * routes answer redirects and cookies, not JSON (docs/auth.md describes them).
 */
@ApiExcludeController()
@Controller('auth')
@UseInterceptors(BrowserAnswerInterceptor)
export class AuthController {
  constructor(
    private readonly login: LoginService,
    private readonly sessions: SessionsService,
  ) {}

  /** Starts a login at the provider; `returnTo` (a path of this server) is where the browser lands after it. */
  @Public()
  @Get('login')
  @Redirect(undefined, 303)
  start(@Query('returnTo') returnTo?: string): Promise<BrowserAnswer> {
    return this.login.start(typeof returnTo === 'string' ? returnTo : returnTo === undefined ? undefined : '');
  }

  /** Where the provider sends the browser back with a code (the client's redirect URI). */
  @Public()
  @Get('callback')
  @Redirect(undefined, 303)
  callback(@Query() query: Record<string, unknown>, @Headers('cookie') cookie?: string): Promise<BrowserAnswer> {
    return this.login.finish(query, parseCookies(cookie).get(LOGIN_STATE_COOKIE));
  }

  /** Ends the session of the login cookie (CSRF-checked like every cookie write) and removes the cookie. */
  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(
    @Headers('cookie') cookie?: string,
    @Headers('origin') origin?: string,
    @Headers(CSRF_HEADER) csrfToken?: string,
  ): Promise<BrowserAnswer> {
    const clear = await this.sessions.logout(parseCookies(cookie).get(SESSION_COOKIE), {
      method: 'POST',
      origin,
      csrfToken,
    });
    return { cookies: [clear] };
  }
}
