import { randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { PrismaService } from './prisma.service';

@Global()
@Module({ providers: [PrismaService], exports: [PrismaService] })
class PrismaModule {}

/**
 * Postgres access for a process: the Prisma client, and the continuation-local context that
 * carries the current transaction (`@Transactional()`) and the request id.
 */
@Global()
@Module({
  imports: [
    PrismaModule,
    ClsModule.forRoot({
      global: true,
      middleware: {
        mount: true,
        generateId: true,
        // Fastify's genReqId (libs/platform) stores the request id on the raw request.
        idGenerator: (req: { id?: string }) => req.id ?? randomUUID(),
      },
      plugins: [
        new ClsPluginTransactional({
          imports: [PrismaModule],
          adapter: new TransactionalAdapterPrisma<PrismaService>({
            prismaInjectionToken: PrismaService,
            sqlFlavor: 'postgresql',
            // Prisma's 2 s wait for a pooled connection fails requests in a burst that the pool would
            // serve a moment later; the transaction's own timeout stays the guard against a stuck one.
            defaultTxOptions: { maxWait: 10_000, timeout: 15_000 },
          }),
        }),
      ],
    }),
  ],
  exports: [PrismaModule],
})
export class DbModule {}
