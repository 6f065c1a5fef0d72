-- AlterTable
ALTER TABLE "sinks" ADD COLUMN     "tokenEnc" TEXT;
