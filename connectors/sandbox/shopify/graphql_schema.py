"""The subset of Shopify's GraphQL Admin API 2025-07 schema the sandbox serves: orders (Relay connections with the
`query` search), fulfillment orders, inventory items with their levels (`inventoryItems`, searched by `sku:`),
`fulfillmentCreate`, `fulfillmentEventCreate` and `inventorySetQuantities`.
Names, types and nullability follow shopify.dev's reference for 2025-07; fields the platform never reads are left
out (a query that asks for them fails validation, as an unknown field does on Shopify)."""

from __future__ import annotations

import graphql

SDL = """
scalar DateTime
scalar Decimal
scalar UnsignedInt64
scalar URL

enum CurrencyCode { INR USD EUR GBP }
enum OrderSortKeys { CREATED_AT ID ORDER_NUMBER PROCESSED_AT UPDATED_AT }
enum FulfillmentOrderStatus { CANCELLED CLOSED INCOMPLETE IN_PROGRESS ON_HOLD OPEN SCHEDULED }
enum FulfillmentStatus { CANCELLED ERROR FAILURE SUCCESS }
enum FulfillmentEventStatus {
  ATTEMPTED_DELIVERY CARRIER_PICKED_UP CONFIRMED DELAYED DELIVERED FAILURE IN_TRANSIT LABEL_PRINTED
  LABEL_PURCHASED OUT_FOR_DELIVERY READY_FOR_PICKUP
}
enum InventorySetQuantitiesUserErrorCode {
  COMPARE_QUANTITY_REQUIRED COMPARE_QUANTITY_STALE INVALID_INVENTORY_ITEM INVALID_LOCATION INVALID_NAME
  INVALID_QUANTITY_NEGATIVE INVALID_REASON ITEM_NOT_STOCKED_AT_LOCATION
}

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }
type MailingAddress {
  name: String firstName: String lastName: String address1: String address2: String city: String
  province: String provinceCode: String zip: String country: String countryCodeV2: String phone: String
  company: String
}
type Shop { name: String! myshopifyDomain: String! }
type Location { id: ID! legacyResourceId: UnsignedInt64! name: String! }
type InventoryQuantity { name: String! quantity: Int! updatedAt: DateTime }
type InventoryLevel {
  id: ID! location: Location! item: InventoryItem! updatedAt: DateTime!
  quantities(names: [String!]!): [InventoryQuantity!]!
}
type InventoryItem {
  id: ID! legacyResourceId: UnsignedInt64! sku: String tracked: Boolean! inventoryLevel(locationId: ID!): InventoryLevel
}
type InventoryItemEdge { cursor: String! node: InventoryItem! }
type InventoryItemConnection { nodes: [InventoryItem!]! edges: [InventoryItemEdge!]! pageInfo: PageInfo! }

type LineItem {
  id: ID! sku: String title: String! name: String! quantity: Int! currentQuantity: Int!
  unfulfilledQuantity: Int! originalUnitPriceSet: MoneyBag!
}
type LineItemEdge { cursor: String! node: LineItem! }
type LineItemConnection { nodes: [LineItem!]! edges: [LineItemEdge!]! pageInfo: PageInfo! }

type FulfillmentOrderLineItem { id: ID! sku: String totalQuantity: Int! remainingQuantity: Int! lineItem: LineItem! }
type FulfillmentOrderLineItemEdge { cursor: String! node: FulfillmentOrderLineItem! }
type FulfillmentOrderLineItemConnection {
  nodes: [FulfillmentOrderLineItem!]! edges: [FulfillmentOrderLineItemEdge!]! pageInfo: PageInfo!
}
type FulfillmentOrder {
  id: ID! status: FulfillmentOrderStatus! createdAt: DateTime! updatedAt: DateTime! order: Order
  lineItems(first: Int, after: String, last: Int, before: String): FulfillmentOrderLineItemConnection!
}
type FulfillmentOrderEdge { cursor: String! node: FulfillmentOrder! }
type FulfillmentOrderConnection { nodes: [FulfillmentOrder!]! edges: [FulfillmentOrderEdge!]! pageInfo: PageInfo! }

type FulfillmentTrackingInfo { company: String number: String url: URL }
type FulfillmentEvent {
  id: ID! status: FulfillmentEventStatus! message: String happenedAt: DateTime! createdAt: DateTime!
}
type Fulfillment {
  id: ID! legacyResourceId: UnsignedInt64! name: String! status: FulfillmentStatus! createdAt: DateTime!
  updatedAt: DateTime! trackingInfo(first: Int): [FulfillmentTrackingInfo!]! order: Order!
}

type Order {
  id: ID! legacyResourceId: UnsignedInt64! name: String! email: String phone: String
  createdAt: DateTime! updatedAt: DateTime! processedAt: DateTime! closedAt: DateTime cancelledAt: DateTime
  displayFinancialStatus: String displayFulfillmentStatus: String! currencyCode: CurrencyCode!
  subtotalPriceSet: MoneyBag totalTaxSet: MoneyBag totalPriceSet: MoneyBag!
  shippingAddress: MailingAddress billingAddress: MailingAddress
  lineItems(first: Int, after: String, last: Int, before: String): LineItemConnection!
  fulfillmentOrders(first: Int, after: String, last: Int, before: String, query: String): FulfillmentOrderConnection!
  fulfillments(first: Int): [Fulfillment!]!
}
type OrderEdge { cursor: String! node: Order! }
type OrderConnection { nodes: [Order!]! edges: [OrderEdge!]! pageInfo: PageInfo! }

type Query {
  shop: Shop!
  order(id: ID!): Order
  fulfillmentOrder(id: ID!): FulfillmentOrder
  fulfillment(id: ID!): Fulfillment
  orders(
    first: Int, after: String, last: Int, before: String, query: String, reverse: Boolean = false,
    sortKey: OrderSortKeys = ID
  ): OrderConnection!
  inventoryItems(first: Int, after: String, query: String): InventoryItemConnection!
}

type UserError { field: [String!] message: String! }
input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }
input FulfillmentOrderLineItemsInput {
  fulfillmentOrderId: ID! fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!]
}
input FulfillmentTrackingInput { company: String number: String url: URL numbers: [String!] urls: [URL!] }
input FulfillmentInput {
  lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]!
  notifyCustomer: Boolean = false
  trackingInfo: FulfillmentTrackingInput
}
type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }
input FulfillmentEventInput {
  fulfillmentId: ID! status: FulfillmentEventStatus! message: String happenedAt: DateTime
  estimatedDeliveryAt: DateTime address1: String city: String province: String country: String zip: String
  latitude: Float longitude: Float
}
type FulfillmentEventCreatePayload { fulfillmentEvent: FulfillmentEvent userErrors: [UserError!]! }
input InventoryQuantityInput { inventoryItemId: ID! locationId: ID! quantity: Int! compareQuantity: Int }
input InventorySetQuantitiesInput {
  name: String! reason: String! referenceDocumentUri: String ignoreCompareQuantity: Boolean = false
  quantities: [InventoryQuantityInput!]!
}
type InventoryChange { name: String! delta: Int! quantityAfterChange: Int item: InventoryItem location: Location }
type InventoryAdjustmentGroup {
  id: ID! createdAt: DateTime! reason: String! referenceDocumentUri: String changes: [InventoryChange!]!
}
type InventorySetQuantitiesUserError { code: InventorySetQuantitiesUserErrorCode field: [String!] message: String! }
type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup userErrors: [InventorySetQuantitiesUserError!]!
}

type Mutation {
  fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
  fulfillmentEventCreate(fulfillmentEvent: FulfillmentEventInput!): FulfillmentEventCreatePayload
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
}
"""

SCHEMA = graphql.build_schema(SDL)
