-- CreateIndex
CREATE INDEX "tasks_hostId_status_idx" ON "tasks"("hostId", "status");
