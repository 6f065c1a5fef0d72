-- CreateTable
CREATE TABLE "hook_sources" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "secretEnc" TEXT NOT NULL,
    "config" JSONB NOT NULL DEFAULT '{}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "hook_sources_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "hook_deliveries" (
    "id" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "sourceId" UUID NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "taskId" UUID,
    "origin" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "hook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "hook_sources_teamId_id_idx" ON "hook_sources"("teamId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "hook_sources_teamId_name_key" ON "hook_sources"("teamId", "name");

-- CreateIndex
CREATE INDEX "hook_deliveries_teamId_sourceId_id_idx" ON "hook_deliveries"("teamId", "sourceId", "id");

-- CreateIndex
CREATE INDEX "hook_deliveries_teamId_taskId_idx" ON "hook_deliveries"("teamId", "taskId");

-- CreateIndex
CREATE UNIQUE INDEX "hook_deliveries_sourceId_deliveryId_key" ON "hook_deliveries"("sourceId", "deliveryId");

-- AddForeignKey
ALTER TABLE "hook_sources" ADD CONSTRAINT "hook_sources_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hook_deliveries" ADD CONSTRAINT "hook_deliveries_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hook_deliveries" ADD CONSTRAINT "hook_deliveries_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "hook_sources"("id") ON DELETE CASCADE ON UPDATE CASCADE;
