"""WooCommerce REST API (wc/v3) simulator: `build_woocommerce` in `simulator`."""
