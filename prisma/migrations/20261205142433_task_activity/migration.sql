-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "activity" JSONB;
