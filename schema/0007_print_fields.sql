-- Issue 9 (the printed manifest): a vehicle's road transport operating certificate number
-- (道路运输证号, 转移管理办法 art. 11: the carrier writes its vehicle's operating certificate
-- number on the manifest). Optional: vehicles registered before stay valid without one.
ALTER TABLE vehicles ADD COLUMN road_transport_cert TEXT;
