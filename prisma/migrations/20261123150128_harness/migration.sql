-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "harnessState" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "leaseOwner" TEXT,
ADD COLUMN     "leaseUntil" TIMESTAMPTZ(3),
ADD COLUMN     "pendingAction" TEXT,
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "wakeAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "turns" ADD COLUMN     "activity" JSONB,
ADD COLUMN     "changedFiles" TEXT[],
ADD COLUMN     "sentAt" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "tasks_status_wakeAt_idx" ON "tasks"("status", "wakeAt");
