-- Permissions and questions (libs/permissions): what OpenCode sessions wait for, and their answers.
-- Tasks may carry a permission policy (the session ruleset and auto-accept rules) as JSON, and
-- sessions are looked up by team (which task a request belongs to).
-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "permissionPolicy" JSONB;

-- CreateTable
CREATE TABLE "permission_requests" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "taskId" UUID,
    "sessionId" TEXT NOT NULL,
    "directory" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "permission" TEXT NOT NULL,
    "patterns" TEXT[],
    "always" TEXT[],
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "tool" JSONB,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "reply" TEXT,
    "message" TEXT,
    "repliedBy" TEXT,
    "repliedByTokenId" UUID,
    "repliedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "permission_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "question_requests" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "taskId" UUID,
    "sessionId" TEXT NOT NULL,
    "directory" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "questions" JSONB NOT NULL,
    "tool" JSONB,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "answers" JSONB,
    "repliedBy" TEXT,
    "repliedByTokenId" UUID,
    "repliedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "question_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "permission_requests_teamId_id_idx" ON "permission_requests"("teamId", "id");

-- CreateIndex
CREATE INDEX "permission_requests_teamId_taskId_id_idx" ON "permission_requests"("teamId", "taskId", "id");

-- CreateIndex
CREATE INDEX "permission_requests_teamId_hostId_id_idx" ON "permission_requests"("teamId", "hostId", "id");

-- CreateIndex
CREATE INDEX "permission_requests_teamId_status_id_idx" ON "permission_requests"("teamId", "status", "id");

-- CreateIndex
CREATE INDEX "permission_requests_status_hostId_idx" ON "permission_requests"("status", "hostId");

-- CreateIndex
CREATE UNIQUE INDEX "permission_requests_teamId_hostId_requestId_key" ON "permission_requests"("teamId", "hostId", "requestId");

-- CreateIndex
CREATE INDEX "question_requests_teamId_id_idx" ON "question_requests"("teamId", "id");

-- CreateIndex
CREATE INDEX "question_requests_teamId_taskId_id_idx" ON "question_requests"("teamId", "taskId", "id");

-- CreateIndex
CREATE INDEX "question_requests_teamId_hostId_id_idx" ON "question_requests"("teamId", "hostId", "id");

-- CreateIndex
CREATE INDEX "question_requests_teamId_status_id_idx" ON "question_requests"("teamId", "status", "id");

-- CreateIndex
CREATE INDEX "question_requests_status_hostId_idx" ON "question_requests"("status", "hostId");

-- CreateIndex
CREATE UNIQUE INDEX "question_requests_teamId_hostId_requestId_key" ON "question_requests"("teamId", "hostId", "requestId");

-- CreateIndex
CREATE INDEX "tasks_teamId_sessionId_idx" ON "tasks"("teamId", "sessionId");

-- CreateIndex
CREATE INDEX "turns_teamId_sessionId_idx" ON "turns"("teamId", "sessionId");

-- AddForeignKey
ALTER TABLE "permission_requests" ADD CONSTRAINT "permission_requests_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "permission_requests" ADD CONSTRAINT "permission_requests_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "permission_requests" ADD CONSTRAINT "permission_requests_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "question_requests" ADD CONSTRAINT "question_requests_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "question_requests" ADD CONSTRAINT "question_requests_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "question_requests" ADD CONSTRAINT "question_requests_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
