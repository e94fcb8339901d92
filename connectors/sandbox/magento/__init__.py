"""Magento 2 / Adobe Commerce REST API simulator: `build_magento` in `simulator`."""
