-- AlterTable
ALTER TABLE "hook_sources" ADD COLUMN     "previousSecretEnc" TEXT,
ADD COLUMN     "previousSecretExpiresAt" TIMESTAMPTZ(3);
