package v2x

// Shape is an area or volume relative to a reference point (exactly one
// member). Lengths in 0.1 m, angles in 0.1 degree.
type Shape struct {
	Rectangular  *RectangularShape `json:"rectangular,omitempty" msgpack:"rectangular,omitempty"`
	Circular     *CircularShape    `json:"circular,omitempty" msgpack:"circular,omitempty"`
	Polygonal    *PolygonalShape   `json:"polygonal,omitempty" msgpack:"polygonal,omitempty"`
	Elliptical   *EllipticalShape  `json:"elliptical,omitempty" msgpack:"elliptical,omitempty"`
	Radial       *RadialShape      `json:"radial,omitempty" msgpack:"radial,omitempty"`
	RadialShapes *RadialShapes     `json:"radial_shapes,omitempty" msgpack:"radial_shapes,omitempty"`
}

// CartesianPosition3D is an offset in 0.01 m.
type CartesianPosition3D struct {
	XCoordinate int16  `json:"x_coordinate" msgpack:"x_coordinate"`
	YCoordinate int16  `json:"y_coordinate" msgpack:"y_coordinate"`
	ZCoordinate *int16 `json:"z_coordinate,omitempty" msgpack:"z_coordinate,omitempty"`
}

// RectangularShape is a rectangle (or a prism with Height).
type RectangularShape struct {
	CenterPoint *CartesianPosition3D `json:"center_point,omitempty" msgpack:"center_point,omitempty"`
	SemiLength  uint8                `json:"semi_length" msgpack:"semi_length" range:"0,102"`
	SemiBreadth uint8                `json:"semi_breadth" msgpack:"semi_breadth" range:"0,102"`
	Orientation *uint16              `json:"orientation,omitempty" msgpack:"orientation,omitempty" range:"0,3601"`
	Height      *uint16              `json:"height,omitempty" msgpack:"height,omitempty" range:"0,4095"`
}

// CircularShape is a circle (or a cylinder with Height).
type CircularShape struct {
	Radius              uint16               `json:"radius" msgpack:"radius" range:"0,4095"`
	ShapeReferencePoint *CartesianPosition3D `json:"shape_reference_point,omitempty" msgpack:"shape_reference_point,omitempty"`
	Height              *uint16              `json:"height,omitempty" msgpack:"height,omitempty" range:"0,4095"`
}

// PolygonalShape is a polygon (or a prism with Height).
type PolygonalShape struct {
	Polygon             []CartesianPosition3D `json:"polygon" msgpack:"polygon"`
	ShapeReferencePoint *CartesianPosition3D  `json:"shape_reference_point,omitempty" msgpack:"shape_reference_point,omitempty"`
	Height              *uint16               `json:"height,omitempty" msgpack:"height,omitempty" range:"0,4095"`
}

// EllipticalShape is an ellipse (or an elliptical cylinder with Height).
type EllipticalShape struct {
	SemiMajorAxisLength uint16               `json:"semi_major_axis_length" msgpack:"semi_major_axis_length" range:"0,4095"`
	SemiMinorAxisLength uint16               `json:"semi_minor_axis_length" msgpack:"semi_minor_axis_length" range:"0,4095"`
	ShapeReferencePoint *CartesianPosition3D `json:"shape_reference_point,omitempty" msgpack:"shape_reference_point,omitempty"`
	Orientation         *uint16              `json:"orientation,omitempty" msgpack:"orientation,omitempty" range:"0,3601"`
	Height              *uint16              `json:"height,omitempty" msgpack:"height,omitempty" range:"0,4095"`
}

// RadialShape is a sensor's field of view: a range and opening angles.
type RadialShape struct {
	Range                                 uint16               `json:"range" msgpack:"range" range:"0,4095"`
	StationaryHorizontalOpeningAngleStart uint16               `json:"stationary_horizontal_opening_angle_start" msgpack:"stationary_horizontal_opening_angle_start" range:"0,3601"`
	StationaryHorizontalOpeningAngleEnd   uint16               `json:"stationary_horizontal_opening_angle_end" msgpack:"stationary_horizontal_opening_angle_end" range:"0,3601"`
	ShapeReferencePoint                   *CartesianPosition3D `json:"shape_reference_point,omitempty" msgpack:"shape_reference_point,omitempty"`
	VerticalOpeningAngleStart             *uint16              `json:"vertical_opening_angle_start,omitempty" msgpack:"vertical_opening_angle_start,omitempty" range:"0,3601"`
	VerticalOpeningAngleEnd               *uint16              `json:"vertical_opening_angle_end,omitempty" msgpack:"vertical_opening_angle_end,omitempty" range:"0,3601"`
}

// RadialShapes is a list of radial shapes sharing an offset point.
type RadialShapes struct {
	RefPointID       uint8         `json:"ref_point_id" msgpack:"ref_point_id"`
	XCoordinate      int16         `json:"x_coordinate" msgpack:"x_coordinate" range:"-3094,1001"`
	YCoordinate      int16         `json:"y_coordinate" msgpack:"y_coordinate" range:"-3094,1001"`
	ZCoordinate      *int16        `json:"z_coordinate,omitempty" msgpack:"z_coordinate,omitempty" range:"-3094,1001"`
	RadialShapesList []RadialShape `json:"radial_shapes_list" msgpack:"radial_shapes_list"`
}
