/**
 * Whether the credential a long-lived response (an event stream) was opened with is still good.
 * A port: libs/auth implements it with its cached token verification, so libs/platform can end
 * such responses once their token is revoked or expires without depending on libs/auth.
 */
export abstract class CredentialCheck {
  /**
   * Re-verifies the `Authorization` header value a request was authenticated with. Resolves `true`
   * while it would still be accepted, `false` once it is revoked, expired or unknown; rejects when
   * it cannot tell (e.g. Postgres does not answer), which callers treat as "ask again later".
   */
  abstract isStillValid(authorization: string): Promise<boolean>;
}
