/* Keyboard shortcuts of the review page (see reviews.html); no inline script (Content-Security-Policy). */
