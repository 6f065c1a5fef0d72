import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, MaxLength, ValidateBy, isEmail } from 'class-validator';
import { IsDateTime, IsOptionalNotNull, ROLES, Role } from '@heddle/common';

/** Well-formed UTF-16 (no lone surrogate, on which validator's isEmail throws) and an email address. */
const IsEmailAddress = () =>
  ValidateBy({
    name: 'isEmail',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && wellFormed(value) && isEmail(value),
      defaultMessage: () => 'email must be an email address',
    },
  });

function wellFormed(value: string): boolean {
  try {
    encodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

export const MEMBER_STATUSES = ['active', 'invited', 'expired'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export class InviteMemberDto {
  @ApiPropertyOptional({
    example: 'ada@example.com',
    maxLength: 320,
    description:
      'Invite by email: claimed when a person logs in whose ID token (or userinfo) carries this email, unless the provider marks it unverified (`email_verified: false`). Give `email` or `subject`, not both.',
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(320)
  @IsEmailAddress()
  email?: string;

  @ApiPropertyOptional({
    example: '248289761001',
    minLength: 1,
    maxLength: 255,
    description: "Invite by OIDC subject (`sub` at OIDC_ISSUER_URL): claimed at that person's next login.",
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 255)
  subject?: string;

  @ApiProperty({
    enum: ROLES,
    example: 'member',
    description: 'The role they get (docs/auth.md). Inviting an owner needs `members:owner`.',
  })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2027-01-01T00:00:00Z',
    description: 'After this the invite can no longer be claimed. Omit for one that does not expire.',
  })
  @IsOptional()
  @IsDateTime()
  expiresAt?: Date;
}

export class UpdateMemberDto {
  @ApiProperty({
    enum: ROLES,
    example: 'member',
    description:
      'The new role (of a member, or of a pending invite). Making, demoting or removing an owner needs `members:owner`; the last owner cannot be demoted (409).',
  })
  @IsIn(ROLES)
  role!: Role;
}

export class MemberResponseDto {
  @ApiProperty({
    format: 'uuid',
    example: '0195f3c2-2222-7000-8000-000000000001',
    description: 'The membership, or the invite while it is pending: use it with PATCH and DELETE.',
  })
  id!: string;

  @ApiProperty({
    enum: MEMBER_STATUSES,
    example: 'active',
    description: '`active` (a member), `invited` (waiting for their login) or `expired` (an invite past expiresAt).',
  })
  status!: MemberStatus;

  @ApiProperty({ enum: ROLES, example: 'member' })
  role!: Role;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: '0195f3c2-1111-7000-8000-000000000001' })
  userId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '248289761001' })
  subject!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  name!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['invite', 'group'],
    example: 'invite',
    description:
      'How a membership came: `invite` (or changed by a person through this API) or `group` (OIDC_GROUP_ROLE_MAP, kept in step at each login). Null for invites.',
  })
  source!: 'invite' | 'group' | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'user:grace@example.com',
    description: 'Invites: who invited.',
  })
  invitedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null, description: 'Invites: expiry.' })
  expiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-23T10:15:00.000Z' })
  lastLoginAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T10:00:00.000Z' })
  createdAt!: string;
}

export class MemberPageDto {
  @ApiProperty({ type: [MemberResponseDto] })
  items!: MemberResponseDto[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
