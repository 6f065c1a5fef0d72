// Int and e2e specs start a whole app (Nest, Prisma, Redis, BullMQ) in their hooks: on a loaded
// two-core CI machine that can take longer than Jest's 5 s default. Files that need more set their own.
jest.setTimeout(30_000);
