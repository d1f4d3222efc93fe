"""What an account keeps: assets, job files and their signed URLs, the storage quota."""
