-- Follow-up messages to a running task (libs/tasks): queued until the harness delivers them as the
-- next prompt in the same session, with a per-task policy (cap, drop policy, debounce, lane priority)
-- resolved at create and kept on the task.
-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "followUpPolicy" JSONB;

-- CreateTable
CREATE TABLE "task_messages" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "lane" TEXT NOT NULL DEFAULT 'default',
    "status" TEXT NOT NULL DEFAULT 'queued',
    "createdBy" TEXT NOT NULL,
    "idempotencyKey" TEXT,
    "requestHash" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMPTZ(3),
    "turn" INTEGER,
    "droppedAt" TIMESTAMPTZ(3),
    "droppedReason" TEXT,
    "mergedInto" UUID,

    CONSTRAINT "task_messages_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "task_messages_teamId_taskId_status_createdAt_idx" ON "task_messages"("teamId", "taskId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "task_messages_teamId_taskId_id_idx" ON "task_messages"("teamId", "taskId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "task_messages_taskId_idempotencyKey_key" ON "task_messages"("taskId", "idempotencyKey");

-- AddForeignKey
ALTER TABLE "task_messages" ADD CONSTRAINT "task_messages_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
