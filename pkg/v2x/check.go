package v2x

// Hand-written schema rules the tags cannot express, mostly "oneOf"
// choices. The generated validate methods call check last.

func exactlyOne(set []bool, names ...string) error {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	if n != 1 {
		return oneOfError(names...)
	}
	return nil
}

func (v *HighFrequencyContainer) check() error {
	return exactlyOne([]bool{v.BasicVehicleContainerHighFrequency != nil, v.RSUContainerHighFrequency != nil},
		"basic_vehicle_container_high_frequency", "rsu_container_high_frequency")
}

func (v *SpecialVehicleContainer) check() error {
	return exactlyOne([]bool{v.PublicTransportContainer != nil, v.SpecialTransportContainer != nil,
		v.DangerousGoodsContainer != nil, v.RoadWorksContainerBasic != nil, v.RescueContainer != nil,
		v.EmergencyContainer != nil, v.SafetyCarContainer != nil},
		"public_transport_container", "special_transport_container", "dangerous_goods_container",
		"road_works_container_basic", "rescue_container", "emergency_container", "safety_car_container")
}

func (v *MapReference) check() error {
	return exactlyOne([]bool{v.RoadSegment != nil, v.Intersection != nil}, "road_segment", "intersection")
}

func (v *Velocity3D) check() error {
	return exactlyOne([]bool{v.PolarVelocity != nil, v.CartesianVelocity != nil}, "polar_velocity", "cartesian_velocity")
}

func (v *Acceleration3D) check() error {
	return exactlyOne([]bool{v.PolarAcceleration != nil, v.CartesianAcceleration != nil},
		"polar_acceleration", "cartesian_acceleration")
}

func (v *ObjectClassChoice) check() error {
	return exactlyOne([]bool{v.Vehicle != nil, v.VRU != nil, v.Group != nil, v.Other != nil},
		"vehicle", "vru", "group", "other")
}

func (v *VRUClass) check() error {
	return exactlyOne([]bool{v.Pedestrian != nil, v.BicyclistAndLightVRUVehicle != nil, v.Motorcylist != nil, v.Animal != nil},
		"pedestrian", "bicyclist_and_light_vru_vehicle", "motorcylist", "animal")
}

func (v *Shape) check() error {
	return exactlyOne([]bool{v.Rectangular != nil, v.Circular != nil, v.Polygonal != nil, v.Elliptical != nil,
		v.Radial != nil, v.RadialShapes != nil},
		"rectangular", "circular", "polygonal", "elliptical", "radial", "radial_shapes")
}

// check applies the schema's item rules inside the matrix nesting.
func (v *CorrelationMatrix) check() error {
	for i, row := range v.Matrix {
		for j, cells := range row {
			if len(cells) < 1 || len(cells) > 13 {
				return wrapIndex("matrix", i, wrapIndex("", j, countError("", len(cells), 1, 13)))
			}
			for k, c := range cells {
				if c < -100 || c > 101 {
					return wrapIndex("matrix", i, wrapIndex("", j, wrapIndex("", k, rangeError("", int64(c), -100, 101))))
				}
			}
		}
	}
	return nil
}
