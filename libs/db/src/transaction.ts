import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import type { PrismaService } from './prisma.service';

export type PrismaAdapter = TransactionalAdapterPrisma<PrismaService>;

/**
 * What repositories inject: `txHost.tx` is the current transaction's client inside a
 * `@Transactional()` method and the plain client outside one.
 */
export type TxHost = TransactionHost<PrismaAdapter>;
export { InjectTransactionHost, TransactionHost, Transactional } from '@nestjs-cls/transactional';
