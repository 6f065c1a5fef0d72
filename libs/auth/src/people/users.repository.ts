import { Injectable } from '@nestjs/common';
import { InjectTransactionHost, TxHost, User } from '@heddle/db';

export interface LoginProfile {
  email: string | null;
  name: string | null;
}

/** The only file that touches `users`. People are not team-owned: a user is found by (issuer, subject). */
@Injectable()
export class UsersRepository {
  constructor(@InjectTransactionHost() private readonly txHost: TxHost) {}

  /** The person behind a login, created at their first; email and name follow the IdP. */
  upsertAtLogin(issuer: string, subject: string, profile: LoginProfile, at: Date): Promise<User> {
    return this.txHost.tx.user.upsert({
      where: { issuer_subject: { issuer, subject } },
      create: { issuer, subject, ...profile, lastLoginAt: at },
      update: { ...profile, lastLoginAt: at },
    });
  }
}
