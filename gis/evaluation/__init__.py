"""Per-mu evaluation (亩均论英雄) of enterprises and parcels, and the development-zone
intensive-use indicators (开发区土地集约利用)."""
