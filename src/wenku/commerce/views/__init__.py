"""Commerce pages and endpoints, by area: buying and downloading, the reader's library
(favorites, sharing), and the "my …" pages (wallet, purchases, earnings)."""
