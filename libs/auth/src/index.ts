export { AuthModule, AuthApiModule } from './auth.module';
export { ApiTokensService } from './api-tokens.service';
export type { IssuedToken, IssueTokenInput, TokenView } from './api-tokens.service';
export { generateToken, parseToken, hashSecret } from './token-format';
