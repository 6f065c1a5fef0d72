-- CreateTable
CREATE TABLE "tasks" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "workspace" TEXT NOT NULL,
    "goal" TEXT NOT NULL,
    "steps" TEXT[],
    "checks" JSONB NOT NULL DEFAULT '[]',
    "requestedHostId" UUID,
    "labels" TEXT[],
    "hostId" UUID,
    "model" TEXT,
    "agent" TEXT,
    "mode" TEXT NOT NULL DEFAULT 'single',
    "planFile" TEXT NOT NULL DEFAULT 'PLAN.md',
    "promptTemplate" TEXT,
    "budgets" JSONB NOT NULL DEFAULT '{}',
    "checkIntervalSeconds" INTEGER NOT NULL DEFAULT 30,
    "bindSessionId" TEXT,
    "sessionId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "reason" TEXT,
    "reasonDetail" TEXT,
    "stale" BOOLEAN NOT NULL DEFAULT false,
    "claimedComplete" BOOLEAN NOT NULL DEFAULT false,
    "verification" TEXT NOT NULL,
    "progress" JSONB,
    "result" JSONB,
    "currentTurn" INTEGER NOT NULL DEFAULT 0,
    "tokensInput" INTEGER NOT NULL DEFAULT 0,
    "tokensOutput" INTEGER NOT NULL DEFAULT 0,
    "tokensReasoning" INTEGER NOT NULL DEFAULT 0,
    "tokensCacheRead" INTEGER NOT NULL DEFAULT 0,
    "tokensCacheWrite" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "archived" BOOLEAN NOT NULL DEFAULT false,
    "idempotencyKey" TEXT,
    "requestHash" TEXT,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "turns" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "sessionId" TEXT NOT NULL,
    "prompt" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "tokensInput" INTEGER NOT NULL DEFAULT 0,
    "tokensOutput" INTEGER NOT NULL DEFAULT 0,
    "tokensReasoning" INTEGER NOT NULL DEFAULT 0,
    "tokensCacheRead" INTEGER NOT NULL DEFAULT 0,
    "tokensCacheWrite" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "outcome" TEXT NOT NULL DEFAULT 'sent',
    "error" TEXT,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "turns_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "check_runs" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "turnNumber" INTEGER NOT NULL,
    "allPassed" BOOLEAN NOT NULL,
    "results" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "check_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "tasks_teamId_id_idx" ON "tasks"("teamId", "id");

-- CreateIndex
CREATE INDEX "tasks_teamId_status_id_idx" ON "tasks"("teamId", "status", "id");

-- CreateIndex
CREATE INDEX "tasks_status_updatedAt_idx" ON "tasks"("status", "updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "tasks_teamId_idempotencyKey_key" ON "tasks"("teamId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "turns_teamId_taskId_number_idx" ON "turns"("teamId", "taskId", "number");

-- CreateIndex
CREATE UNIQUE INDEX "turns_taskId_number_key" ON "turns"("taskId", "number");

-- CreateIndex
CREATE INDEX "check_runs_teamId_taskId_id_idx" ON "check_runs"("teamId", "taskId", "id");

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "turns" ADD CONSTRAINT "turns_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "check_runs" ADD CONSTRAINT "check_runs_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
