"""Reading Kaggle-style CSV datasets of Spotify tracks into catalog records (no writes)."""
