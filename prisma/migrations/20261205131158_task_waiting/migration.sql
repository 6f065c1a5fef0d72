-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "waiting" TEXT;
