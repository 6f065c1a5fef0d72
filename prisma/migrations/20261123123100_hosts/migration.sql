-- CreateTable
CREATE TABLE "hosts" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "baseUrl" TEXT NOT NULL,
    "username" TEXT,
    "passwordEnc" TEXT,
    "labels" TEXT[],
    "maxSessions" INTEGER NOT NULL DEFAULT 4,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "status" TEXT NOT NULL DEFAULT 'unknown',
    "version" TEXT,
    "lastProbeAt" TIMESTAMPTZ(3),
    "latencyMs" INTEGER,
    "lastError" TEXT,
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "activeSessions" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "hosts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "hosts_teamId_id_idx" ON "hosts"("teamId", "id");

-- CreateIndex
CREATE INDEX "hosts_enabled_status_idx" ON "hosts"("enabled", "status");

-- CreateIndex
CREATE UNIQUE INDEX "hosts_teamId_name_key" ON "hosts"("teamId", "name");

-- AddForeignKey
ALTER TABLE "hosts" ADD CONSTRAINT "hosts_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;
