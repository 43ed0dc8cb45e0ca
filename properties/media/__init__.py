"""Listing media: the image gallery, its resized variants and image enhancement jobs."""
